"""psabill.notify"""
