"""psabill.psa"""
