"""psabill.core"""
